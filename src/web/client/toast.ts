// One line at the bottom of the screen for answers that need no place of their own.

export class Toast {
  private timer: number | undefined;

  constructor(private readonly el: HTMLElement) {}

  show(message: string): void {
    this.el.textContent = message;
    this.el.hidden = false;
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => (this.el.hidden = true), 5_000);
  }
}
