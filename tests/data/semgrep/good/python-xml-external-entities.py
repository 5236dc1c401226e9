"""Good: XML parsers without external entities.  good: python-xml-external-entities"""

import defusedxml.ElementTree as DefusedET
from lxml import etree


def parse(data: bytes) -> object:
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.fromstring(data, parser)


def parse_untrusted(data: str) -> object:
    return DefusedET.fromstring(data)
