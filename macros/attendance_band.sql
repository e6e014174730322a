{#- Attendance band used by dim_students and the findings: <70, 70-79, 80-89, 90-100. -#}
{% macro attendance_band(expression) -%}
    case
        when {{ expression }} < 70 then '<70'
        when {{ expression }} < 80 then '70-79'
        when {{ expression }} < 90 then '80-89'
        else '90-100'
    end
{%- endmacro %}
