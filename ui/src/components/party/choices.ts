// Shapes that go with the choice colors, so a choice is never told apart by color alone.
export const CHOICE_SHAPES = ['▲', '◆', '●', '■', '★', '⬟'] as const;
