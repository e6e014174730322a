{#- Standard error of (group mean - overall mean). The group is part of the whole, so the two
    means are not independent: the difference equals (N - n) / N x (group mean - mean of the
    other students), whose variance is the Welch variance scaled by ((N - n) / N)^2. The other
    students' variance comes from the overall and group moments alone (no second pass):
    SS_rest = (N - 1) s^2 - (n - 1) s_g^2 - n N d^2 / (N - n), with d the difference.
    Null when the group holds every student (there is nothing to compare with). -#}
{% macro difference_from_overall_standard_error(n, sd, total_n, total_sd, difference) -%}
    {%- set group_n = 'cast(' ~ n ~ ' as ' ~ type_double() ~ ')' -%}
    {%- set all_n = 'cast(' ~ total_n ~ ' as ' ~ type_double() ~ ')' -%}
    {%- set rest_n = 'nullif(' ~ all_n ~ ' - ' ~ group_n ~ ', 0)' -%}
    ({{ rest_n }} / {{ all_n }}) * sqrt(
        {{ sd }} * {{ sd }} / {{ group_n }}
        + greatest(
            ({{ all_n }} - 1) * {{ total_sd }} * {{ total_sd }}
            - ({{ group_n }} - 1) * {{ sd }} * {{ sd }}
            - {{ group_n }} * {{ all_n }} * {{ difference }} * {{ difference }} / {{ rest_n }},
            0
        ) / ({{ rest_n }} * nullif({{ rest_n }} - 1, 0))
    )
{%- endmacro %}
