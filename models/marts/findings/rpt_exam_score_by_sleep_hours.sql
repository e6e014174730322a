{#- Hours of sleep per night, in whole hours: students, mean exam score with its 95 % interval,
    and the difference from the overall mean (the original claimed high achievers sleep less;
    rpt_original_claims tests that directly). -#}
{{ exam_score_finding('sleep_hours', ['sleep_hours_whole as sleep_hours']) }}
