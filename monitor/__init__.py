"""monitor: track claims across news feeds and official briefings; alert the desk on evidence."""

__version__ = "0.1.0"
