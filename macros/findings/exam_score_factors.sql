{#- The factors rpt_exam_score_factor_ranking compares, from spf_columns(): every export column
    but exam_score, as a list of {name, kind, measured_as, source, column, unit}. Numbers are
    measured as they are; categories by their first encoded column (encoded_columns): the
    ordinal code, the Yes flag, or the one-hot column of the first value, all from
    int_students_featured (`source` students). `column` is source.measured_as; `unit` says what
    the slope of the exam score on the factor measures. -#}
{% macro exam_score_factors() -%}
    {%- set numeric_units = {
        'hours_studied': 'points per hour studied per week',
        'attendance_pct': 'points per percentage point of attendance',
        'sleep_hours': 'points per hour of sleep per night',
        'previous_score': 'points per point of previous score',
        'tutoring_sessions': 'points per tutoring session per month',
        'physical_activity_hours': 'points per hour of physical activity per week',
    } -%}
    {%- set factors = [] -%}
    {%- for column in spf_columns() if column.name != 'exam_score' -%}
        {%- if column.kind != 'category' -%}
            {%- do factors.append({
                'name': column.name, 'kind': 'numeric', 'measured_as': column.name,
                'source': 'students',
                'unit': numeric_units.get(column.name, 'points per unit of ' ~ column.name),
            }) -%}
        {%- else -%}
            {%- set values = column['values'] -%}
            {#- the first encoded column: the code, the Yes flag, or the first value's one-hot -#}
            {%- set measured_as = encoded_columns(column)[0].name -%}
            {%- do factors.append({
                'name': column.name, 'kind': column.encoding, 'measured_as': measured_as,
                'source': 'students',
                'unit': {
                    'ordinal': 'points per step of ' ~ values | join(', '),
                    'flag': 'points, ' ~ values[1] ~ ' vs ' ~ values[0],
                    'one_hot': 'points, ' ~ values[0] ~ ' vs ' ~ values[1:] | join(', '),
                }[column.encoding],
            }) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for factor in factors -%}
        {%- do factor.update({'column': factor.source ~ '.' ~ factor.measured_as}) -%}
    {%- endfor -%}
    {{ return(factors) }}
{%- endmacro %}
