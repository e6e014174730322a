{#- Creates schema `history` and its two tables, empty, when they do not exist yet: the sources
    in models/staging/history/_history__sources.yml then resolve, and a plain `dbt build` works
    before any load is recorded. The runner carries the published history into each build area
    (spf/publish.py) and appends each published load to it (pipeline/job.py, record_load): one
    row of marts.rpt_load_summary to `loads`, the rows of marts.rpt_load_profile to
    `load_profiles`. Their columns are those two marts' (whose contracts name them, and
    rpt_load_history's contract checks `loads` on every build); the KPI columns follow
    `vars.kpi_labels`. -#}
{% macro create_history_tables() -%}
    {%- if execute and flags.WHICH in ['build', 'run', 'test'] -%}
        {%- set text = dbt.type_string() -%}
        {%- set number = type_double() -%}
        {%- set count = dbt.type_bigint() -%}
        {%- set load_number = ('load_number', dbt.type_int()) -%}
        {%- set kpis = [] -%}
        {%- for name in var('kpi_labels') -%}
            {%- do kpis.append((name, count if name.endswith('_count') else number)) -%}
        {%- endfor -%}
        {%- set tables = {
            'loads': [
                load_number, ('loaded_at', dbt.type_timestamp()),
                ('source_file', text), ('source_file_sha256', text),
                ('rows_received', count), ('rows_accepted', count),
                ('rows_rejected', count), ('rows_duplicated', count),
            ] + kpis + [
                ('champion_model_name', text), ('champion_cv_r2_mean', number),
                ('champion_cv_r2_std', number), ('champion_cv_mse_mean', number),
                ('interval_coverage', number),
            ],
            'load_profiles': [
                load_number, ('measure', text), ('bin_number', dbt.type_int()),
                ('value_kind', text), ('category', text),
                ('lower_edge', number), ('upper_edge', number),
                ('student_count', count), ('share', number), ('is_missing', dbt.type_boolean()),
            ],
        } -%}
        {{ return(create_missing_tables('history', tables)) }}
    {%- endif -%}
    {{ return('') }}
{%- endmacro %}
