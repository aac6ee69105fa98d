"""Muster: a Discord bot that coordinates peer-support groups."""
