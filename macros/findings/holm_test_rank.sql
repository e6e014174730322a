{#- The rank holm_adjusted_p_value needs: the tests numbered 1..m from the smallest p-value
    (the largest |z|), an undefined z last, ties broken by `tie_breaker`. -#}
{% macro holm_test_rank(z_statistic, tie_breaker) -%}
    row_number() over (order by abs({{ z_statistic }}) desc nulls last, {{ tie_breaker }})
{%- endmacro %}
