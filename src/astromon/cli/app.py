"""Typer app — being written."""
