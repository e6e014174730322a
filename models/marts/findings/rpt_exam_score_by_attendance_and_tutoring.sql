{#- Attendance band x tutoring sessions per month (0, 1, 2, 3+): students, mean exam score with
    its 95 % interval, and the difference from the overall mean. -#}
{{ exam_score_finding('attendance_and_tutoring', [
    'attendance_band', 'tutoring_band', 'min_attendance_pct', 'min_tutoring_sessions'
]) }}
