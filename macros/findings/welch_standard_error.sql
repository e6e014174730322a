{#- Standard error of the difference between the means of two independent groups (Welch):
    sqrt(sd_a^2 / n_a + sd_b^2 / n_b). -#}
{% macro welch_standard_error(sd_a, n_a, sd_b, n_b) -%}
    sqrt(
        {{ sd_a }} * {{ sd_a }} / cast({{ n_a }} as {{ type_double() }})
        + {{ sd_b }} * {{ sd_b }} / cast({{ n_b }} as {{ type_double() }})
    )
{%- endmacro %}
