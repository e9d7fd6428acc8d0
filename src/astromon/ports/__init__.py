"""Ports: the typing.Protocol interfaces that services depend on and adapters implement."""
