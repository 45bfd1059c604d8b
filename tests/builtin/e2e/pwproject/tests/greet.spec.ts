import { test, expect } from "@playwright/test";

test.describe("greeter", () => {
  test("the button says hello", async ({ page }) => {
    await page.goto("/");
    await page.getByRole("button", { name: "Say hello" }).click();
    await expect(page.locator("#out")).toHaveText("Hello, visitor");
  });

  test("the page has a title", async ({ page }) => {
    await page.goto("/");
    await expect(page).toHaveTitle("Greeter");
  });
});
