"""The MIDI Software Center log viewer: commands, bridge, dev server and window."""
