{#- What the champion of the run that built this warehouse relies on: the permutation
    importance of each feature, ranked. -#}
with

feature_importance as (
    select * from {{ ref('stg_ml__feature_importance') }}
)

select * from feature_importance
