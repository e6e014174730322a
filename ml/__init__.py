"""Exam-score models trained on marts.ml_exam_score_features.

python -m ml train                                      (run by `make run`)
python -m ml predict --input students.csv --output predictions.csv
"""
