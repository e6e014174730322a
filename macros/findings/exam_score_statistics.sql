{#- The aggregates every findings mart starts from, for one group (or for everyone):
    student_count, mean_exam_score, exam_score_sd. -#}
{% macro exam_score_statistics(exam_score) -%}
    count({{ exam_score }}) as student_count,
    avg(cast({{ exam_score }} as {{ type_double() }})) as mean_exam_score,
    stddev_samp(cast({{ exam_score }} as {{ type_double() }})) as exam_score_sd
{%- endmacro %}
