{#- One row per raw row: names in snake_case, values trimmed, categories in canonical case,
    numbers typed, and every check of spf_columns() applied. `rejection_reasons` is null for
    rows that pass; intermediate models keep those, rpt_rejected_rows shows the rest. -#}
with

source as (
    select * from {{ source('spf', 'student_performance_factors') }}
),

cleaned as (
    select
        cast(source_row_number as {{ dbt.type_bigint() }}) as source_row_number,
        raw_line,
        load_error,
        loaded_at,
        source_file,
        source_file_sha256,
        {%- for column in spf_columns() %}
        {{ clean_text(raw_column_name(column)) }} as {{ column.name }}_text,
        {%- endfor %}
        coalesce(
            raw_line,
            concat_ws(
                ',',
                {%- for column in spf_columns() %}
                coalesce({{ raw_column_name(column) }}, ''){{ ',' if not loop.last }}
                {%- endfor %}
            )
        ) as raw_record
    from source
),

typed as (
    select
        {%- for column in spf_columns() %}
        {%- set text = column.name ~ '_text' %}
        {%- if column.kind == 'category' %}
        {{ normalise_category(column, text) }} as {{ column.name }},
        {%- else %}
        {{ parse_number(column, text) }} as {{ column.name }},
        {%- endif %}
        {%- endfor %}
        cleaned.*
    from cleaned
),

checked as (
    select
        *,
        {{ rejection_reasons() }} as rejection_reasons,
        {{ fast_hash('raw_record') }} as raw_record_hash
    from typed
),

-- the export has no student id: a content key survives a re-sorted export, and an ordinal
-- separates identical rows. Only rows whose values repeat are numbered (a window over every
-- row would cost a sort of the whole file); every other row is the first of its values.
repeated_hashes as (
    select raw_record_hash
    from checked
    group by raw_record_hash
    having count(*) > 1
),

duplicates as (
    select
        source_row_number,
        row_number() over (
            partition by raw_record order by source_row_number
        ) as duplicate_ordinal
    from checked
    where raw_record_hash in (select repeated_hashes.raw_record_hash from repeated_hashes)
),

numbered as (
    select
        checked.*,
        coalesce(duplicates.duplicate_ordinal, 1) as duplicate_ordinal
    from checked
    left join duplicates
        on checked.source_row_number = duplicates.source_row_number
),

final as (
    select
        -- ids
        {{ dbt.hash(dbt.concat([
            'raw_record', "'|'", 'cast(duplicate_ordinal as ' ~ dbt.type_string() ~ ')'
        ])) }} as student_key,
        source_row_number,

        -- numerics
        {%- for column in spf_columns() if column.kind != 'category' %}
        {{ column.name }},
        {%- endfor %}

        -- categories
        {%- for column in spf_columns() if column.kind == 'category' %}
        {{ column.name }},
        {%- endfor %}

        -- booleans
        {%- for column in spf_columns() if column.nullable %}
        {{ column.name }}_text is null as is_{{ column.name }}_missing,
        {%- endfor %}
        rejection_reasons is null as is_accepted,
        -- the export has no student id: identical rows are all kept, the later ones flagged
        duplicate_ordinal > 1 as is_exact_duplicate,

        -- validation and lineage
        rejection_reasons,
        raw_record,
        source_file,
        source_file_sha256,
        loaded_at
    from numbered
)

select * from final
