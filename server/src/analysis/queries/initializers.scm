; Designated initialisers and assignments that install a callback: `.func = my_wake`,
; `entry->func = my_wake`, `timer.function = my_timer_fn`.
(initializer_pair
  designator: (field_designator (field_identifier) @field)
  value: (identifier) @value) @pair

(assignment_expression
  left: (field_expression field: (field_identifier) @field)
  right: (identifier) @value) @pair
