-- The settings of the estimated-liquidation-level model, one row per leverage of the mix (var
-- liq_leverage_mix), with the scalar settings repeated on every row. dbt Python models cannot read vars or
-- macros, so int_liquidation_levels reads its configuration from this view: the dbt vars stay the single
-- source of every threshold, and a run's settings can be inspected next to its output.
{{ config(materialized='view') }}

{% set mix = var('liq_leverage_mix') %}

with leverage_mix as (
    {% for leverage, weight in mix.items() %}
    select cast({{ leverage }} as double) as leverage, cast({{ weight }} as double) as weight
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

select
    leverage,
    weight,
    cast({{ var('liq_maintenance_margin') }} as double) as maintenance_margin,
    cast({{ var('liq_bucket_width') }} as double) as bucket_width,
    cast({{ liq_level_range() }} as double) as level_range,
    cast({{ liq_level_floor_share() }} as double) as level_floor_share,
    -- The hours the window touches (the Python model cannot call the window macros).
    {{ liq_floor_hour(liq_window_start()) }} as window_start,
    {{ liq_window_end() }} as window_end
from leverage_mix
