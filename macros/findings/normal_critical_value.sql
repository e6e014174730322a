{#- The two-sided 95 % critical value of the standard normal distribution (1.96), used by every
    95 % interval of the findings marts. A t quantile cannot be computed in portable SQL; with
    30 or more students in a group the t value is at most 4 % larger (2.045 at 30, 1.97 at 300),
    and groups under 30 are flagged `is_small_group`. See the doc block findings_statistics. -#}
{% macro normal_critical_value() -%}
    1.96
{%- endmacro %}
