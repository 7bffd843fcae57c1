"""Lessons: the 13 scenes of the course, their requirement catalogue and their live demos."""
