"""Shared web layer: templates, layout, navigation, static assets from npm packages."""
