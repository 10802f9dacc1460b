-- The traded options of fct_option_flow are known (exchange, instrument) pairs of dim_instruments.
-- A warning, not an error: trade history reaches back before our first instrument snapshot, and a strike
-- that was traded and then delisted (or expired) before that snapshot was never in any list we stored
-- (on the 30-day simulated fixture about a third of the flow). Lists the missing pairs.
{{ config(severity='warn') }}

select distinct f.exchange, f.instrument
from {{ ref('fct_option_flow') }} as f
left join {{ ref('dim_instruments') }} as d
    on d.exchange = f.exchange and d.instrument = f.instrument
where d.instrument is null
