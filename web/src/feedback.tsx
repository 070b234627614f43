/** Why something did not work, read out as it appears; nothing when all is well. */
export function Problem({ text }: { text: string | undefined }) {
  return text ? (
    <p role="alert" class="problem">
      {text}
    </p>
  ) : null
}

/** The button under a paged list while pages are left. */
export function LoadMore({ left, what, onMore }: { left: boolean; what: string; onMore: () => void }) {
  return left ? (
    <button type="button" class="more" onClick={onMore}>
      Load more {what}
    </button>
  ) : null
}
