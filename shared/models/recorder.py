"""The recorder: writes every turn the provider makes as a transcript the replay server serves.

Attach it with ``DevForgeModelProvider(..., recorder=TranscriptRecorder(out_dir, "name"))`` or
by environment (``DEVFORGE_MODEL_RECORD_DIR``, ``DEVFORGE_MODEL_RECORD_NAME``). Turn N of agent
run K lands at index N of ``<out_dir>/<name>/<K>.json``; the file is rewritten atomically after
every turn, so a crashed run leaves a valid transcript of the turns it finished.
"""

from __future__ import annotations

from pathlib import Path

from shared.models.records import TurnRecord
from shared.models.transcripts import (
    Transcript,
    TranscriptError,
    Turn,
    TurnError,
    load_transcript,
    save_transcript,
    transcript_path,
)

_GAP = Turn(errors={"*": TurnError(status=404, message="this turn was not recorded")})


class TranscriptRecorder:
    def __init__(self, out_dir: Path, transcript: str) -> None:
        self.out_dir = Path(out_dir)
        self.transcript = transcript
        transcript_path(self.out_dir, transcript, "probe")  # validates the name early

    def path(self, agent_key: str) -> Path:
        return transcript_path(self.out_dir, self.transcript, agent_key)

    async def __call__(self, record: TurnRecord) -> None:
        self.write(record)

    def write(self, record: TurnRecord) -> Path:
        path = self.path(record.agent_key)
        try:
            current = load_transcript(path)
        except TranscriptError as exc:
            if exc.status != 404:
                raise
            current = Transcript(agent=record.agent_key)
        turns = list(current.turns[: record.turn])  # later turns are from an older recording
        while len(turns) < record.turn:
            turns.append(_GAP)
        turns.append(Turn.model_validate(record.to_turn()))
        save_transcript(path, Transcript(agent=record.agent_key, turns=turns))
        return path
