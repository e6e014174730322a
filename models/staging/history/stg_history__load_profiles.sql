{#- Each published load's profile, as recorded (rows of marts.rpt_load_profile). -#}
with

source as (
    select * from {{ source('history', 'load_profiles') }}
)

select * from source
