"""Chandra tools: CIAO, parameter files, observation info, CALALIGN files, archives."""
