{#- The columns every findings mart shows for a group, from two relations holding
    exam_score_statistics(): `groups` (one row per group) and `overall` (one row). -#}
{% macro compare_group_to_overall(groups, overall) -%}
    {%- set difference = '(' ~ groups ~ '.mean_exam_score - ' ~ overall ~ '.mean_exam_score)' -%}
    {%- set mean_se = standard_error_of_mean(
        groups ~ '.exam_score_sd', groups ~ '.student_count') -%}
    {%- set difference_se = difference_from_overall_standard_error(
        groups ~ '.student_count', groups ~ '.exam_score_sd',
        overall ~ '.student_count', overall ~ '.exam_score_sd', difference) -%}
    {{ groups }}.student_count,
    100 * cast({{ groups }}.student_count as {{ type_double() }})
    / {{ overall }}.student_count as student_share_pct,
    {{ groups }}.student_count < {{ var('findings_small_group_students') }} as is_small_group,
    {{ groups }}.mean_exam_score,
    {{ groups }}.exam_score_sd,
    {{ confidence_bound(groups ~ '.mean_exam_score', mean_se, 'lower') }}
    as mean_exam_score_ci_lower,
    {{ confidence_bound(groups ~ '.mean_exam_score', mean_se, 'upper') }}
    as mean_exam_score_ci_upper,
    {{ overall }}.mean_exam_score as overall_mean_exam_score,
    {{ difference }} as difference_from_overall,
    {{ confidence_bound(difference, difference_se, 'lower') }} as difference_ci_lower,
    {{ confidence_bound(difference, difference_se, 'upper') }} as difference_ci_upper,
    coalesce(
        abs({{ difference }}) > {{ normal_critical_value() }} * {{ difference_se }}, false
    ) as is_different_from_overall
{%- endmacro %}
