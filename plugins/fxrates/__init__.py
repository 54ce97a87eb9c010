"""FX rates: the shop's exchange rates and the rates agreed with individual customers, answered to
other plugins through the ``fx_rate`` hook."""
