{#- Public vs private school: students, mean exam score with its 95 % interval, and the
    difference from the overall mean (the original claimed public schools do better). -#}
{{ exam_score_finding('school_type', ['school_type']) }}
