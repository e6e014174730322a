"""Exam-score models trained on marts.ml_exam_score_features."""
