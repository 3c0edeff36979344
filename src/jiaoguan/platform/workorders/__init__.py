"""Work orders (工单): the platform's closed loop of assign → accept → feed back → review → close.

Other modules open orders with `service.open_work_order(...)`, register their kinds with
`service.register_kind(...)` and follow an order through the `workorder.*` events.
"""
