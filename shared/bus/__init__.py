"""Bus helpers: topology (streams and durables), connections, publishing and consuming."""
