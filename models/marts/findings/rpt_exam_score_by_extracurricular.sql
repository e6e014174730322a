{#- Extracurricular activities or none: share of students, mean exam score with its 95 %
    interval, and the difference from the overall mean (the original claimed that
    extracurricular activities go with better performance). -#}
{{ exam_score_finding('extracurricular', ['has_extracurricular_activities']) }}
