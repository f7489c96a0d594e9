"""StellarCollab: a real-time collaboration server for shared pixel-art canvases."""

__version__ = "0.1.0"
