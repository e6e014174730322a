{#- Two-sided p-value of a z statistic under the standard normal distribution,
    2 x (1 - Phi(|z|)), by Abramowitz & Stegun 26.2.17 (absolute error below 1.5e-7): portable
    SQL needs only exp and arithmetic. |z| is capped at 37 (p below 1e-298) so that exp never
    underflows, which Postgres reports as an error. -#}
{% macro two_sided_p_value(z) -%}
    {%- set x = 'least(abs(' ~ z ~ '), 37.0)' -%}
    {%- set t = '(1.0 / (1.0 + 0.2316419 * ' ~ x ~ '))' -%}
    (
        2.0 * exp(-0.5 * {{ x }} * {{ x }}) / 2.5066282746310002
        * {{ t }} * (0.319381530 + {{ t }} * (-0.356563782 + {{ t }} * (1.781477937
            + {{ t }} * (-1.821255978 + {{ t }} * 1.330274429))))
    )
{%- endmacro %}
