"""Bad: XML parsers that resolve external entities."""

import xml.sax
from xml.sax.handler import feature_external_ges

from lxml import etree


def parse(data: bytes) -> object:
    parser = etree.XMLParser(resolve_entities=True)  # expect: python-xml-external-entities
    return etree.fromstring(data, parser)


def parse_remote(data: bytes) -> object:
    parser = etree.XMLParser(no_network=False)  # expect: python-xml-external-entities
    return etree.fromstring(data, parser)


def sax_parser() -> object:
    parser = xml.sax.make_parser()
    parser.setFeature(feature_external_ges, True)  # expect: python-xml-external-entities
    return parser
