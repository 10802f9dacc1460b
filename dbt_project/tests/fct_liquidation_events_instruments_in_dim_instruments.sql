-- Every liquidation's instrument is one of its venue's instruments in dim_instruments: the key is two
-- columns (exchange, instrument), which the generic relationships test cannot express.
select e.exchange, e.instrument, count(*) as events
from {{ ref('fct_liquidation_events') }} as e
left join {{ ref('dim_instruments') }} as d
    on d.exchange = e.exchange and d.instrument = e.instrument
where d.instrument is null
group by e.exchange, e.instrument
