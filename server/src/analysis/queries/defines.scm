; Object-like macros with a value: `#define ACC_PROBING 1`, `#define FLAG_DONE BIT(3)`.
; Conditions compare against them; their numeric value is all the model needs.
(preproc_def
  name: (identifier) @name
  value: (preproc_arg) @value)

; Enumerations: each enumerator's value (explicit, or one more than the previous).
(enumerator_list) @enum
