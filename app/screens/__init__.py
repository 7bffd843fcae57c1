"""The app's screens: canvas, side-by-side run, history inspector, lessons, help."""
