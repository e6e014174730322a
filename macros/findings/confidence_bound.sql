{#- One bound of a 95 % normal-approximation interval: estimate -/+ 1.96 x standard error.
    side is 'lower' or 'upper'. -#}
{% macro confidence_bound(estimate, standard_error, side) -%}
    {%- if side not in ['lower', 'upper'] -%}
        {{ exceptions.raise_compiler_error("confidence_bound: side must be 'lower' or 'upper'") }}
    {%- endif -%}
    ({{ estimate }} {{ '-' if side == 'lower' else '+' }} {{ normal_critical_value() }}
    * {{ standard_error }})
{%- endmacro %}
