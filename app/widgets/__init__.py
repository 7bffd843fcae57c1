"""The app's widgets; each posts its own messages up and takes its data as attributes."""
