"""Tooling for the student-performance warehouse: sample data, landing checks, the main job."""
