"""Lessons: the 13 scenes of the course, each naming the requirements it teaches by key, and their live demos."""
