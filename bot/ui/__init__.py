"""Embeds, views and modals shared by the cogs."""
