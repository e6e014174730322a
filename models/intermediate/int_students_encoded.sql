{#- Accepted students with every category encoded once, by encode_category(). -#}
with

students as (
    select * from {{ ref('stg_spf__students') }}
    where is_accepted
),

encoded as (
    select
        student_key,
        source_row_number,
        {%- for column in spf_columns() if column.kind == 'category' %}
        {{ encode_category(column) }},
        {%- endfor %}
        {%- for column in spf_columns() if column.nullable %}
        is_{{ column.name }}_missing,
        {%- endfor %}
        loaded_at
    from students
)

select * from encoded
