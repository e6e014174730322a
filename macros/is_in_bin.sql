{#- Whether a number falls in a bin of a load's profile: above its lower edge, at or below its
    upper edge (a null edge is open: the first bin has no lower edge, the last no upper). The
    one rule by which a load's numbers are counted into its own bins and into the previous
    load's. -#}
{% macro is_in_bin(value, lower_edge, upper_edge) -%}
    ({{ lower_edge }} is null or {{ value }} > {{ lower_edge }})
    and ({{ upper_edge }} is null or {{ value }} <= {{ upper_edge }})
{%- endmacro %}
