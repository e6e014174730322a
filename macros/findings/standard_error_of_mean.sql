{#- Standard error of a sample mean: sample standard deviation / sqrt(n). -#}
{% macro standard_error_of_mean(sd, n) -%}
    ({{ sd }} / sqrt(cast({{ n }} as {{ type_double() }})))
{%- endmacro %}
