{#- Weekly study-hours bands: students, mean exam score with its 95 % interval, and the
    difference from the overall mean. -#}
{{ exam_score_finding(
    'hours_studied', ['hours_studied_band', 'min_hours_studied', 'max_hours_studied']
) }}
