{#- Weekly study hours band: <10, 10-19, 20-29, 30+. -#}
{% macro hours_studied_band(expression) -%}
    case
        when {{ expression }} < 10 then '<10'
        when {{ expression }} < 20 then '10-19'
        when {{ expression }} < 30 then '20-29'
        else '30+'
    end
{%- endmacro %}
