; File-scope declarations: queues and condition variables shared by the functions of a file,
; including `static DECLARE_WAIT_QUEUE_HEAD(name);`, which the grammar reads as a declaration
; of `name` with the macro as its type.
(translation_unit
  (declaration
    type: (_) @type
    declarator: (_) @declarator) @declaration)
